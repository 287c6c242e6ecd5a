package api

import "github.com/gin-gonic/gin"

func (st *site) jurorPanel(c *gin.Context)    {}
func (st *site) jurorProject(c *gin.Context)  {}
func (st *site) jurorSave(c *gin.Context)     {}
func (st *site) jurorConflict(c *gin.Context) {}
func (st *site) jurorConfirm(c *gin.Context)  {}
func (st *site) jurorSubmit(c *gin.Context)   {}
